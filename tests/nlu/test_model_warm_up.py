"""The intent model is trained once per process, in a thread the moment a server opens its runtime, so the first
question neither waits for the training nor blocks the event loop while it runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import asyncio, sys, threading
from kubegenie.nlu import model
from kubegenie.assistant import Assistant
from kubegenie.settings import KubeSettings, Settings

fits = []
fit = model.fit
def counted_fit(*args, **kwargs):
    fits.append(threading.current_thread() is threading.main_thread())
    return fit(*args, **kwargs)
model.fit = counted_fit

async def main():
    assistant = Assistant(Settings(data_dir=sys.argv[1], kube=KubeSettings(kubeconfig=[sys.argv[2]])))
    await assistant.runtime()
    turns = 0
    while not model.model_is_trained():
        await asyncio.sleep(0.005)  # the loop keeps turning while the model trains
        turns += 1
    threads = [threading.Thread(target=model.trained_classifier) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answer = await assistant.ask("help")
    await assistant.close()
    print(len(fits), fits[0], turns > 0, answer.intent)

asyncio.run(main())
"""


def test_the_model_trains_once_off_the_event_loop_when_the_runtime_opens(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "data"), str(kubeconfig)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "False", "True", "help"]
