import { expect } from 'chai';
import { InputError, KernelError, QemuError } from '../src/index.js';

describe('errors', () => {
  it('QemuError and KernelError are built without a stack; Error.stackTraceLimit is restored', () => {
    const limit = Error.stackTraceLimit;
    const q = new QemuError('aw-bits 48 > host aw-bits 39', 'set-iommu-device');
    const k = new KernelError('EPERM', 'VFIO_SET_IOMMU', 'no MSI isolation');
    expect(q.stack).to.equal('QemuError: aw-bits 48 > host aw-bits 39');
    expect(k.stack).to.equal('KernelError: VFIO_SET_IOMMU: EPERM (Operation not permitted): no MSI isolation');
    expect(QemuError.withErrno('Failed to set iommu for container', 'EPERM', 'vfio-attach').prepend('vfio 0000:01:00.0: ').stack).to.equal(
      'QemuError: vfio 0000:01:00.0: Failed to set iommu for container: Operation not permitted',
    );
    expect(Error.stackTraceLimit).to.equal(limit);
  });

  it('other errors (bugs, bad input) keep their stacks', () => {
    expect(new InputError('no such host', 'host x').stack).to.match(/\n\s+at /);
    expect(new TypeError('bug').stack).to.match(/\n\s+at /);
  });
});
