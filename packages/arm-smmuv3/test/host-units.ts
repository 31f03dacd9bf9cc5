import type { HostIommuUnit } from '@viommu/core';

/**
 * SMMUv3 units from real boot logs (the raw line is the evidence; values as printed).
 * `arm-smmu-v3 <name>: ias <n>-bit, oas <n>-bit (features 0x…)`, `option mask 0x…`.
 */
export interface ProbeLine {
  readonly host: string;
  readonly raw: string;
  readonly unit: HostIommuUnit;
}

function line(host: string, raw: string, options = 0): ProbeLine {
  const m = /arm-smmu-v3 (\S+): (?:ias (\d+)-bit, )?oas (\d+)-bit \(features (0x[0-9a-f]+)\)/.exec(raw)!;
  return {
    host,
    raw,
    unit: { name: m[1]!, vendor: 'arm', registers: {}, extra: { features: m[4]!, ...(m[2] ? { ias: Number(m[2]) } : {}), oas: Number(m[3]), options } },
  };
}

export const THUNDERX2 = line('HPE Apollo 70 (Cavium ThunderX2)', 'arm-smmu-v3 arm-smmu-v3.2.auto: ias 44-bit, oas 44-bit (features 0x0000170d)', 0x2);
export const SERVER_FEF = line('arm-002', 'arm-smmu-v3 arm-smmu-v3.0.auto: ias 48-bit, oas 48-bit (features 0x00000fef)');
export const GRACE = line('NVIDIA Grace (tegra241), kernel 6.16', 'arm-smmu-v3 arm-smmu-v3.5.auto: ias 48-bit, oas 48-bit (features 0x001e1fbf)');
export const GRACE_2 = line('NVIDIA Grace (tegra241), kernel 6.16', 'arm-smmu-v3 arm-smmu-v3.6.auto: ias 48-bit, oas 48-bit (features 0x001e1fbf)');
export const RK3588 = line('RK3588 SBC', 'arm-smmu-v3 fc900000.iommu: ias 48-bit, oas 48-bit (features 0x001c1eaf)');
export const RK3588_NO_IAS = line('RK3588 SBC, newer kernel', 'arm-smmu-v3 fc900000.iommu: oas 48-bit (features 0x001c1eaf)');
export const TAISHAN = line('Huawei TaiShan 200 (Kunpeng 920)', 'arm-smmu-v3 arm-smmu-v3.0.auto: ias 48-bit, oas 48-bit (features 0x00001fff)');
export const AMPERE = line('Ampere Altra class', 'arm-smmu-v3 arm-smmu-v3.8.auto: ias 48-bit, oas 48-bit (features 0x00001fff)');

export const REAL_PROBE_LINES: readonly ProbeLine[] = [THUNDERX2, SERVER_FEF, GRACE, RK3588, RK3588_NO_IAS, TAISHAN, AMPERE];

/** A unit with explicit registers (name, registers, extra). */
export function regUnit(name: string, registers: Record<string, bigint>, extra: HostIommuUnit['extra'] = {}): HostIommuUnit {
  return { name, vendor: 'arm', registers, extra };
}
