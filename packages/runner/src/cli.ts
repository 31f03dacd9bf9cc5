#!/usr/bin/env node
console.log('viommu: not implemented yet');
