import { vi } from 'vitest';

/**
 * The ipc module for a test: every command a mock (never real Tauri), the pure helpers
 * (`errorMessage`, `isAppError`) and constants real. Use from a test file as
 * `vi.mock('../src/ipc', async (orig) => (await import('./mock-ipc')).mockCommands(await orig()));`
 */
export function mockCommands(actual: Record<string, unknown>): Record<string, unknown> {
  const mocked: Record<string, unknown> = { ...actual };
  for (const [name, value] of Object.entries(actual)) {
    if (typeof value === 'function' && !['errorMessage', 'isAppError'].includes(name)) {
      mocked[name] = vi.fn();
    }
  }
  return mocked;
}
