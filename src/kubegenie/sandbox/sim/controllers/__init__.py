"""kube-controller-manager's controllers for the sandbox, one module each; ALL is the set a Simulation runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kubegenie.sandbox.sim.controllers.cronjob import CronJobController
from kubegenie.sandbox.sim.controllers.daemonset import DaemonSetController
from kubegenie.sandbox.sim.controllers.deployment import DeploymentController
from kubegenie.sandbox.sim.controllers.endpoints import EndpointsController, EndpointSliceController
from kubegenie.sandbox.sim.controllers.hpa import HorizontalPodAutoscalerController
from kubegenie.sandbox.sim.controllers.job import JobController
from kubegenie.sandbox.sim.controllers.nodelifecycle import NodeLifecycleController
from kubegenie.sandbox.sim.controllers.pdb import DisruptionController
from kubegenie.sandbox.sim.controllers.replicaset import ReplicaSetController
from kubegenie.sandbox.sim.controllers.resourcequota import ResourceQuotaController
from kubegenie.sandbox.sim.controllers.service import ServiceController
from kubegenie.sandbox.sim.controllers.statefulset import StatefulSetController

if TYPE_CHECKING:
    from kubegenie.sandbox.sim import Simulation
    from kubegenie.sandbox.sim.controller import Controller

ALL: tuple[Callable[[Simulation], Controller], ...] = (
    NodeLifecycleController, ResourceQuotaController, DeploymentController, ReplicaSetController,
    StatefulSetController, DaemonSetController, JobController, CronJobController, HorizontalPodAutoscalerController,
    DisruptionController, EndpointsController, EndpointSliceController, ServiceController,
)
