#!/bin/sh
# Records how a real QEMU (9.1+: it has the host IOMMU device) turns type1 IOVA ranges into the
# legacy host aw-bits: intel-iommu's set_iommu_device refuses `aw-bits A > host aw-bits H`.
# Each layout is served by vfio-type1-shim.c (SHIM_IOVA, SHIM_DEVICE=1); the result goes to
# test/fixtures/qemu-<label>-legacy-aw-bits.json (or $OUT). Needs root, gcc and python3.
#   sh oracle/record-aw-bits.sh 10.0 <unpacked>/usr/bin/qemu-system-x86_64 -L <unpacked>/usr/share/qemu
. oracle/record-common.sh
# layout|vIOMMU aw-bits: the x86 MSI window splits every x86 layout
cat > "$work/layouts" <<'L'
0-fedfffff,fef00000-7fffffffff|48
0-fedfffff,fef00000-7fffffffffff|48
0-fedfffff,fef00000-ffffffffffff|48
0-fedfffff,fef00000-ffffffffffffff|48
0-7ffffff,8100000-ffffffffffff|48
0-fedfffff,fef00000-3fffffffff|39
0-fedfffff,fef00000-ffffffff|39
|48
L
i=0
while IFS='|' read -r iova aw; do
  in_group7 "echo quit | SHIM_DEVICE=1 SHIM_IOVA='$iova' SHIM_LOG=/dev/null LD_PRELOAD=$work/shim.so timeout 20 \
      $qemu $extra -machine q35,kernel-irqchip=split -accel tcg -S -display none -nodefaults \
      -device intel-iommu,aw-bits=$aw,caching-mode=on -device vfio-pci,host=0000:01:00.0 -monitor stdio \
      >$work/out$i 2>&1" || true
  echo "$iova|$aw" > "$work/layout$i"
  i=$((i + 1))
done < "$work/layouts"
python3 - "$work" "$version" "$i" > "$out/qemu-$label-legacy-aw-bits.json" <<'PY'
import json, sys
work, version, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
layouts = []
for i in range(n):
    iova, aw = open(f"{work}/layout{i}").read().strip().split("|")
    lines = open(f"{work}/out{i}").read().splitlines()
    refusal = [l.split("Failed to set vIOMMU: ", 1)[1] for l in lines if "Failed to set vIOMMU: " in l]
    layouts.append({"iova": iova, "viommuAwBits": int(aw), "setIommuDevice": refusal[0] if refusal else "accepted"})
print(json.dumps({
    "qemu": version,
    "command": "qemu-system-x86_64 [-L <datadir>] -machine q35,kernel-irqchip=split -accel tcg -S -display none -nodefaults -device intel-iommu,aw-bits=<A>,caching-mode=on -device vfio-pci,host=0000:01:00.0",
    "kernel": "oracle/vfio-type1-shim.c: VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE = iova (none when empty)",
    "layouts": layouts,
}, indent=1))
PY
