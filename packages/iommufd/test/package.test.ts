import { describeLibraryPackage } from '@viommu/test-support';

describeLibraryPackage('@viommu/iommufd', new URL('../../package.json', import.meta.url));
