import { describeLibraryPackage } from '@viommu/test-support';

describeLibraryPackage('@viommu/virtio-iommu', new URL('../../package.json', import.meta.url));
