import { describeLibraryPackage } from '@viommu/test-support';

describeLibraryPackage('@viommu/legacy-vfio', new URL('../../package.json', import.meta.url));
