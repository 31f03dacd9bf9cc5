import { expect } from 'chai';
import { kernelBoolParam, type HostKernelModel } from '../src/index.js';

const k = (v?: string): HostKernelModel => ({
  release: '6.12.0',
  cmdline: '',
  iommufd: true,
  vfioCdev: true,
  vfioType1: true,
  ...(v === undefined ? {} : { params: { 'iommufd.allow_unsafe_interrupts': v } }),
});

describe('kernelBoolParam (kstrtobool, lib/kstrtox.c)', () => {
  it('reads what kstrtobool accepts and keeps the default otherwise', () => {
    const read = (v?: string) => kernelBoolParam(k(v), 'iommufd.allow_unsafe_interrupts');
    expect(['Y', 'y', '1', 'T', 'true', 'on', 'ON'].map(read)).to.deep.equal([true, true, true, true, true, true, true]);
    expect(['N', 'n', '0', 'F', 'off', 'Off'].map(read)).to.deep.equal([false, false, false, false, false, false]);
    expect([undefined, '', 'maybe', 'o'].map(read)).to.deep.equal([false, false, false, false]);
    expect(kernelBoolParam(k('x'), 'iommufd.allow_unsafe_interrupts', true)).to.equal(true);
  });
});
