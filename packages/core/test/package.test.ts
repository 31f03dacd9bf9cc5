import { describeLibraryPackage } from '@viommu/test-support';

describeLibraryPackage('@viommu/core', new URL('../../package.json', import.meta.url));
