#!/bin/sh
# Records what a real QEMU does during a legacy VFIO attach against vfio-type1-shim.c, with a
# fault injected at each kernel call in turn, into test/fixtures/qemu-<label>-legacy-attach.json.
# Needs root (a private mount namespace fakes /sys/bus/pci/devices/0000:01:00.0/iommu_group ->
# group 7), gcc and python3. Run from the package directory:
#   sh oracle/record-qemu.sh 7.2 qemu-system-x86_64
#   sh oracle/record-qemu.sh 10.0 <unpacked>/usr/bin/qemu-system-x86_64 -L <unpacked>/usr/share/qemu
# (an unpacked QEMU also needs QEMU_MODULE_DIR / LD_LIBRARY_PATH in the environment).
# OUT=<dir> writes there instead of test/fixtures (npm run test:oracle does, then compares).
. oracle/record-common.sh
run() {
  k=$1
  in_group7 "SHIM_LOG=$work/calls$k SHIM_FAIL_AT=$k LD_PRELOAD=$work/shim.so timeout 20 \
      $qemu $extra -machine q35 -accel tcg -S -display none -nodefaults \
      -device vfio-pci,host=0000:01:00.0 </dev/null 2>$work/stderr$k" || true
}
run 0
# every fallible call of the fault-free attach (post-attach device ioctls are not faulted)
calls=$(grep -vc '^ioctl 0x' "$work/calls0")
for k in $(seq 1 "$calls"); do run "$k"; done
# hot-plugged through the monitor: a failure after the attach finalizes the device (detach order)
in_group7 "printf 'device_add vfio-pci,host=0000:01:00.0,bus=rp1,id=a\\nquit\\n' |
  SHIM_LOG=$work/hotplug LD_PRELOAD=$work/shim.so timeout 20 \
    $qemu $extra -machine q35 -accel tcg -S -display none -nodefaults \
    -device pcie-root-port,id=rp1 -monitor stdio >$work/monitor 2>&1" || true
# the same QEMU for aarch64: -M virt,iommu=smmuv3 puts the device behind an emulated SMMUv3,
# whose IOMMU region refuses VFIO's MAP notifier while the container is set up
qemu_arm=$(echo "$qemu" | sed 's/x86_64$/aarch64/')
in_group7 "SHIM_LOG=$work/smmuv3 LD_PRELOAD=$work/shim.so timeout 20 \
    $qemu_arm $extra -machine virt,iommu=smmuv3 -cpu max -accel tcg -S -display none -nodefaults \
    -device vfio-pci,host=0000:01:00.0 </dev/null 2>$work/smmuv3.stderr" || true
python3 - "$work" "$version" "$calls" > "$out/qemu-$label-legacy-attach.json" <<'PY'
import json, sys
work, version, calls = sys.argv[1], sys.argv[2], int(sys.argv[3])
runs = []
for k in range(calls + 1):
    log = open(f"{work}/calls{k}").read().splitlines()
    runs.append({"failAt": k, "calls": log, "stderr": open(f"{work}/stderr{k}").read().splitlines()})
errors = [l.split("Error: ", 1)[1] for l in open(f"{work}/monitor").read().split("\n") if "Error: " in l]
hotplug = {"monitor": "device_add vfio-pci,host=0000:01:00.0,bus=rp1,id=a", "calls": open(f"{work}/hotplug").read().splitlines(), "error": errors}
print(json.dumps({
    "qemu": version,
    "command": "qemu-system-x86_64 [-L <datadir>] -machine q35 -accel tcg -S -display none -nodefaults -device vfio-pci,host=0000:01:00.0",
    "kernel": "oracle/vfio-type1-shim.c (group 7, type1v2, IOVA 48-bit minus the x86 MSI window, faults: EIO)",
    "runs": runs,
    "hotplug": hotplug,
    "smmuv3": {
        "command": "qemu-system-aarch64 [-L <datadir>] -machine virt,iommu=smmuv3 -cpu max -accel tcg -S -display none -nodefaults -device vfio-pci,host=0000:01:00.0",
        "calls": open(f"{work}/smmuv3").read().splitlines(),
        "stderr": open(f"{work}/smmuv3.stderr").read().splitlines(),
    },
}, indent=1))
PY
