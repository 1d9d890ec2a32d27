"""Server-side printing: `as=Table` responses with the columns `kubectl get` shows for each kind
(k8s.io/kubernetes/pkg/printers/internalversion/printers.go), CRD additionalPrinterColumns, and the
Name/Age default for everything else.

Each kind's printer lives in a module of this package and registers itself in `table.PRINTERS`; importing the
package registers them all.
"""

from kubegenie.sandbox.printers import apps, batch, core, events, misc, networking, nodes, pods, rbac, scaling, storage
from kubegenie.sandbox.printers.table import build_table, register

__all__ = ["apps", "batch", "build_table", "core", "events", "misc", "networking", "nodes", "pods", "rbac",
           "register", "scaling", "storage"]
