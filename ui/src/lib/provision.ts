// The provisioning sheet's QR code (`onewindow-hub provision`), as a keyboard-wedge scanner
// types it into whichever field of the enrolment panel has the focus: one line of JSON, maybe
// after what the field already held (a prefilled hub address).

const START = '{"kind":"onewindow-provision"';

/** The provisioning line typed into any of `values`, or null when none holds one. */
export function scannedProvision(...values: string[]): string | null {
  for (const v of values) {
    const at = v.indexOf(START);
    if (at >= 0) {
      const line = v.slice(at).trim();
      const end = line.lastIndexOf('}');
      return end >= 0 ? line.slice(0, end + 1) : line;
    }
  }
  return null;
}
