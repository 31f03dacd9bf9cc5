import { describeLibraryPackage } from '@viommu/test-support';

describeLibraryPackage('@viommu/arm-smmuv3', new URL('../../package.json', import.meta.url));
