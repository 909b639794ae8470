"""A throwaway 3-broker KRaft cluster for the fault tier, started with the local stack's own
script (deploy/local/kafka_cluster.sh) on ports and a data folder of its own, so a test can
SIGKILL a broker without touching the stack other tests use."""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cityops import localstack

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "local" / "kafka_cluster.sh"
#: Past the local stack's own broker ports (the Kafka port + 10 upwards for a dev cluster).
PORT_OFFSET = 18


@dataclass
class KafkaCluster:
    brokers: int
    folder: Path

    def env(self) -> dict[str, str]:
        first = localstack.kafka_port() + PORT_OFFSET
        env = dict(os.environ)
        env.update(
            {
                "CITYOPS_KAFKA_PORT": str(first),
                "CITYOPS_KAFKA_CONTROLLER_PORT": str(first + 1),
                "CITYOPS_KAFKA_CLUSTER_PORT_BASE": str(first + 2),
                "CITYOPS_KAFKA_CLUSTER_DIR": str(self.folder),
                "CITYOPS_KAFKA_HEAP": "-Xmx512m -Xms128m",
            }
        )
        return env

    def _script(self, *args: str) -> str:
        done = subprocess.run(
            # A hang guard, not a timing: restarting a killed broker took over 240 s at
            # load average 20-30 (2026-11-30).
            [str(SCRIPT), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            raise RuntimeError(f"kafka_cluster.sh {' '.join(args)}: {done.stderr or done.stdout}")
        return done.stdout.strip()

    def start(self) -> KafkaCluster:
        self._script("start", str(self.brokers))
        return self

    @property
    def bootstrap_servers(self) -> str:
        return self._script("bootstrap", str(self.brokers))

    def pid(self, broker: int) -> int:
        return int(self._script("pid", str(broker), str(self.brokers)))

    def kill(self, broker: int) -> None:
        """SIGKILL: no controlled shutdown, no leadership handed over."""
        os.kill(self.pid(broker), signal.SIGKILL)

    def restart(self, broker: int) -> None:
        """Start a killed broker again on its data; returns once the cluster is healthy."""
        self._script("start-broker", str(broker), str(self.brokers))

    def stop(self) -> None:
        self._script("stop")
