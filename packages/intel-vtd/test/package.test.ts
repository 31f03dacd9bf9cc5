import { describeLibraryPackage } from '@viommu/test-support';

describeLibraryPackage('@viommu/intel-vtd', new URL('../../package.json', import.meta.url));
