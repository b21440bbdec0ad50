// Where the keyboard focus is and where it goes, for services that open and close dialogs.

import { tick } from 'svelte';

/** The element that has the focus, to give it back when a dialog closes. */
export function focused(): HTMLElement | null {
  return document.activeElement instanceof HTMLElement ? document.activeElement : null;
}

/** Focuses the element with this id, if it is on screen. */
export function focusId(id: string) {
  document.getElementById(id)?.focus();
}

/**
 * Where the focus was when a dialog opened, to give it back when it closes — if that element
 * is still on screen (not the page body, not removed meanwhile).
 */
export class FocusReturn {
  private at: HTMLElement | null = null;

  /** Remembers `element` (by default, what has the focus now). */
  note(element: HTMLElement | null = focused()): void {
    this.at = element;
  }

  /** After the DOM settles, focuses what was noted; false when there is nowhere to go back to. */
  async restore(): Promise<boolean> {
    await tick();
    const back = this.at;
    this.at = null;
    if (back && back !== document.body && back.isConnected) {
      back.focus();
      return true;
    }
    return false;
  }
}
