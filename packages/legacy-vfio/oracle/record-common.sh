# Sourced by the record-*.sh scripts, run from the package directory as
# `sh oracle/record-<what>.sh <label> <qemu> [qemu args…]`: sets out (test/fixtures, or $OUT),
# label, qemu, extra (the QEMU arguments), version, and builds vfio-type1-shim.c into $work,
# which is removed on exit. Needs gcc.
set -eu
out=${OUT:-test/fixtures}
label=$1
qemu=$2
shift 2
extra="$*"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -shared -fPIC -O1 -o "$work/shim.so" oracle/vfio-type1-shim.c -ldl
version=$($qemu --version | head -1)

# in_group7 CMD: runs the shell command CMD in a private mount namespace (needs root) where
# /sys/bus/pci/devices/0000:01:00.0/iommu_group links to group 7, the shim's group.
in_group7() {
  unshare -m --propagation private sh -c "
    mount -t tmpfs none /sys/bus/pci/devices &&
    mkdir /sys/bus/pci/devices/0000:01:00.0 &&
    ln -s ../../../kernel/iommu_groups/7 /sys/bus/pci/devices/0000:01:00.0/iommu_group &&
    $1"
}
