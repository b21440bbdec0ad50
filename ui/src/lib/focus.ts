// Where the keyboard focus is and where it goes, for services that open and close dialogs.

/** The element that has the focus, to give it back when a dialog closes. */
export function focused(): HTMLElement | null {
  return document.activeElement instanceof HTMLElement ? document.activeElement : null;
}

/** Focuses the element with this id, if it is on screen. */
export function focusId(id: string) {
  document.getElementById(id)?.focus();
}
