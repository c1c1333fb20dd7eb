# SPDX-License-Identifier: Apache-2.0
"""ksmd, the kernel thread: found once by name, its CPU time read from
/proc.  Shared by the benchmark and its probes."""
import os


class Ksmd:
    def __init__(self):
        self.pid = self._find()
        self.hz = os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _find():
        for p in os.listdir("/proc"):
            if p.isdigit():
                try:
                    with open(f"/proc/{p}/comm") as f:
                        if f.read().strip() == "ksmd":
                            return p
                except OSError:
                    pass
        raise SystemExit("ksmd not found")

    def cpu(self):
        """ksmd's CPU seconds, user and system, since it started."""
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self.hz
