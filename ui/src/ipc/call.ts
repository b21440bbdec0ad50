// How every command is called: `invoke`, and a refusal because the screen is locked (or an
// enrolled desk waits for a sign-in) is told to whoever listens before it reaches the caller
// (the main window then reads its status, which brings up the lock screen). The typed wrappers
// in ./bindings/commands.ts are generated from the command table and call `call`.

import { invoke } from '@tauri-apps/api/core';

import type { AppError } from './bindings/AppError';
import type { ErrorCode } from './bindings/ErrorCode';

/** Whether a rejected value is the backend's `AppError {code, message}`. */
export function isAppError(e: unknown): e is AppError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { code?: unknown }).code === 'string' &&
    typeof (e as { message?: unknown }).message === 'string'
  );
}

type ScreenLockedListener = () => void;
const screenLockedListeners = new Set<ScreenLockedListener>();

/** `invoke`, and when the backend answers `screen_locked`, tell the listeners before rejecting. */
export async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    if (isAppError(e) && isLockRefusal(e.code)) {
      for (const listener of [...screenLockedListeners]) {
        try {
          listener();
        } catch {
          // A listener's failure never changes the command's own answer.
        }
      }
    }
    throw e;
  }
}

/** The AppError code of every window-work command while the screen is locked. */
export const SCREEN_LOCKED: ErrorCode = 'screen_locked';
/** The AppError code of every window-work command while an enrolled desk waits for a sign-in. */
export const SIGN_IN_REQUIRED: ErrorCode = 'sign_in_required';

/** Whether a refusal's code means only "the desk is locked or waits for a sign-in": old news once signed in. */
export function isLockRefusal(code: ErrorCode | null): boolean {
  return code === SCREEN_LOCKED || code === SIGN_IN_REQUIRED;
}

/** Hear about every command refused because the screen is locked; returns the function that stops it. */
export function onScreenLocked(listener: ScreenLockedListener): () => void {
  screenLockedListeners.add(listener);
  return () => {
    screenLockedListeners.delete(listener);
  };
}
