import { describe, expect, it } from 'vitest';

import { scannedProvision } from '../src/lib/provision';

const line =
  '{"kind":"onewindow-provision","version":1,"hub_url":"https://hub.example:8470","hub_pin":"AB","enrol_code":"ABCD-EFGH-JKLM","desk_code":"XZ-01","centre":"XZ","window":1,"desk_name":"\\u65b0 1"}';

describe('scannedProvision', () => {
  it('finds the line in the field the scanner typed into', () => {
    expect(scannedProvision('', line, '')).toBe(line);
    expect(scannedProvision(`  ${line}\n`)).toBe(line);
  });

  it('finds it after a prefilled hub address and drops what follows its end', () => {
    expect(scannedProvision(`https://10.0.0.5:8470${line}`, '')).toBe(line);
    expect(scannedProvision(`${line}\r`)).toBe(line);
  });

  it('leaves typed enrolment codes and addresses alone', () => {
    expect(scannedProvision('https://10.0.0.5:8470', 'ABCD-EFGH-JKLM', 'AB:CD')).toBeNull();
    expect(scannedProvision('{"kind":"other"}')).toBeNull();
  });
});
