import { describe, expect, it } from 'vitest';
import { describeSkip, isOffDutyReason, servicerEligibility } from './eligibility.js';
import type { Servicer, SkipReason } from './model.js';

const at = Date.parse('2026-11-25T10:00:00+08:00');
const base: Servicer = { userid: 'ann', name: 'Ann', groups: [], receptionCap: 2, supervisor: true, status: 'active', receiving: true, timezone: 'Asia/Shanghai' };
const nights = { timezone: 'Asia/Shanghai', weekly: { 3: [{ start: '21:00', end: '09:00' }] } };

describe('servicerEligibility', () => {
  it('gives the first reason in the order a person would explain it', () => {
    expect(servicerEligibility(undefined, { open: {} }, at)).toBe('unknown_servicer');
    expect(servicerEligibility({ ...base, status: 'departed', receiving: false }, { open: {} }, at)).toBe('departed');
    expect(servicerEligibility({ ...base, receiving: false, shift: nights }, { open: {} }, at)).toBe('not_receiving');
    expect(servicerEligibility({ ...base, shift: nights }, { open: { ann: 5 } }, at)).toBe('off_shift');
    expect(servicerEligibility(base, { open: { ann: 2 } }, at)).toBe('at_cap');
    expect(servicerEligibility(base, { open: { ann: 1 }, openComplaints: { ann: 1 } }, at, 1)).toBe('at_supervisor_cap');
    expect(servicerEligibility(base, { open: { ann: 1 }, openComplaints: { ann: 1 } }, at)).toBeNull(); // no complaint cap asked for
    expect(servicerEligibility(base, { open: {} }, at, 1)).toBeNull();
  });

  it('counts being gone, paused or off shift as off duty, and being full as busy', () => {
    const gone: SkipReason[] = ['unknown_servicer', 'departed', 'not_receiving', 'off_shift'];
    expect(gone.every(isOffDutyReason)).toBe(true);
    expect(isOffDutyReason('at_cap')).toBe(false);
    expect(isOffDutyReason('at_supervisor_cap')).toBe(false);
  });

  it('says each reason in words for the trace', () => {
    expect(describeSkip('not_receiving')).toBe('stopped receiving (停止接待)');
    expect(describeSkip('departed')).toBe('has left (离职)');
  });
});
