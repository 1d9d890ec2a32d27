"""The words KubeGenie knows: resource kinds with their plurals, kubectl short names and spoken forms, status
words, number words and the words that are never object names. Pure tables; the matching lives in
`slots.py` and the typo tolerance in `normalize.py`.
"""

from __future__ import annotations

from kubegenie.domain.intents import PodStatusFilter, ResourceKind

KIND_ALIASES: dict[ResourceKind, tuple[str, ...]] = {
    ResourceKind.POD: ("pods", "pod", "po"),
    ResourceKind.DEPLOYMENT: ("deployments", "deployment", "deploy", "deploys", "deployment.apps", "deployments.apps"),
    ResourceKind.REPLICASET: ("replicasets", "replicaset", "rs", "replica sets", "replica set"),
    ResourceKind.STATEFULSET: ("statefulsets", "statefulset", "sts", "stateful sets", "stateful set"),
    ResourceKind.DAEMONSET: ("daemonsets", "daemonset", "ds", "daemon sets", "daemon set"),
    ResourceKind.JOB: ("jobs", "job", "batch jobs", "batch job"),
    ResourceKind.CRONJOB: ("cronjobs", "cronjob", "cj", "cron jobs", "cron job", "crons", "cron"),
    ResourceKind.SERVICE: ("services", "service", "svc", "svcs"),
    ResourceKind.INGRESS: ("ingresses", "ingress", "ing", "ingresss"),
    ResourceKind.CONFIGMAP: ("configmaps", "configmap", "cm", "cms", "config maps", "config map"),
    ResourceKind.SECRET: ("secrets", "secret"),
    ResourceKind.PVC: ("persistentvolumeclaims", "persistentvolumeclaim", "pvc", "pvcs", "persistent volume claims",
                       "persistent volume claim", "volume claims", "volume claim"),
    ResourceKind.PV: ("persistentvolumes", "persistentvolume", "pv", "pvs", "persistent volumes", "persistent volume"),
    ResourceKind.NODE: ("nodes", "node", "worker nodes", "worker node"),
    ResourceKind.NAMESPACE: ("namespaces", "namespace", "ns", "namespces"),
    ResourceKind.EVENT: ("events", "event", "ev"),
    ResourceKind.HPA: ("horizontalpodautoscalers", "horizontalpodautoscaler", "hpa", "hpas", "autoscalers",
                       "autoscaler", "pod autoscalers"),
    ResourceKind.PDB: ("poddisruptionbudgets", "poddisruptionbudget", "pdb", "pdbs", "disruption budgets",
                       "disruption budget", "pod disruption budgets"),
    ResourceKind.SERVICE_ACCOUNT: ("serviceaccounts", "serviceaccount", "sa", "service accounts", "service account"),
    ResourceKind.STORAGE_CLASS: ("storageclasses", "storageclass", "sc", "storage classes", "storage class"),
    ResourceKind.NETWORK_POLICY: ("networkpolicies", "networkpolicy", "netpol", "netpols", "network policies",
                                  "network policy"),
}
"""Every way a kind is written; multi-word forms are matched before single words."""

def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of `text` (word tables read better as paragraphs)."""
    return frozenset(text.split())


_SINGULAR = {ResourceKind.PVC: "PVC", ResourceKind.PV: "PV", ResourceKind.HPA: "HPA", ResourceKind.PDB: "PDB",
             ResourceKind.SERVICE_ACCOUNT: "service account", ResourceKind.STORAGE_CLASS: "storage class",
             ResourceKind.NETWORK_POLICY: "network policy", ResourceKind.CONFIGMAP: "config map"}


def singular(kind: ResourceKind) -> str:
    """How a sentence names one object of `kind` ("deployment", "PVC", "network policy")."""
    return _SINGULAR.get(kind, KIND_ALIASES[kind][1])


KUBECTL_ONLY_ALIASES: dict[str, ResourceKind] = {"no": ResourceKind.NODE}
"""kubectl short names that are ordinary English words: understood only in kubectl-style input."""

# Short names that double as everyday words or abbreviations: a kind only where a kind is expected.
AMBIGUOUS_SHORT = frozenset({"sa", "sc", "cm", "ds", "rs", "ev", "ing", "cron"})


def kind_lookup() -> dict[str, ResourceKind]:
    """Alias -> kind, over every alias (built once by the callers that need it)."""
    return {alias: kind for kind, aliases in KIND_ALIASES.items() for alias in aliases}


STATUS_WORDS: dict[str, PodStatusFilter] = {
    "failing": PodStatusFilter.FAILING, "failed": PodStatusFilter.FAILING, "crashing": PodStatusFilter.FAILING,
    "crashlooping": PodStatusFilter.FAILING, "crashloop": PodStatusFilter.FAILING,
    "crashloopbackoff": PodStatusFilter.FAILING, "erroring": PodStatusFilter.FAILING,
    "errored": PodStatusFilter.FAILING, "broken": PodStatusFilter.FAILING, "error": PodStatusFilter.FAILING,
    "oomkilled": PodStatusFilter.FAILING, "imagepullbackoff": PodStatusFilter.FAILING,
    "errimagepull": PodStatusFilter.FAILING, "dead": PodStatusFilter.FAILING, "bad": PodStatusFilter.FAILING,
    "pending": PodStatusFilter.PENDING, "unscheduled": PodStatusFilter.PENDING,
    "unschedulable": PodStatusFilter.PENDING, "stuck": PodStatusFilter.PENDING,
    "restarting": PodStatusFilter.RESTARTING, "restarted": PodStatusFilter.RESTARTING,
    "flapping": PodStatusFilter.RESTARTING,
    "unready": PodStatusFilter.NOT_READY, "notready": PodStatusFilter.NOT_READY,
    "running": PodStatusFilter.RUNNING, "healthy": PodStatusFilter.RUNNING,
    "completed": PodStatusFilter.COMPLETED, "succeeded": PodStatusFilter.COMPLETED,
    "finished": PodStatusFilter.COMPLETED,
}
"""Single status words; "not ready", "crash loop" and friends are phrases handled in slots.py."""

STATUS_PHRASES: dict[str, PodStatusFilter] = {
    "not ready": PodStatusFilter.NOT_READY, "isn't ready": PodStatusFilter.NOT_READY,
    "aren't ready": PodStatusFilter.NOT_READY, "not being ready": PodStatusFilter.NOT_READY,
    "crash loop": PodStatusFilter.FAILING, "crash looping": PodStatusFilter.FAILING,
    "in error": PodStatusFilter.FAILING, "not running": PodStatusFilter.FAILING,
    "stuck pending": PodStatusFilter.PENDING, "not scheduled": PodStatusFilter.PENDING,
    "with restarts": PodStatusFilter.RESTARTING, "keep restarting": PodStatusFilter.RESTARTING,
    "keeps restarting": PodStatusFilter.RESTARTING, "restart a lot": PodStatusFilter.RESTARTING,
    "high restarts": PodStatusFilter.RESTARTING, "high restart count": PodStatusFilter.RESTARTING,
    "restart count": PodStatusFilter.RESTARTING,
}

NUMBER_WORDS: dict[str, int] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "fifty": 50, "hundred": 100,
    "a couple": 2, "a few": 3, "a dozen": 12,
}

STOPWORDS = word_set("""
a an the all any every each some my our your their its it this that these those them they me us i you we
is are was were be been being am do does did done have has had having can could would should will shall may might
must to of in on at by for from with without into onto about over under between across through per via than as
and or but not no nor so if then else when where which who whom whose what why how
show list get give tell display print find see check fetch view look describe explain details detail info
please pls plz thanks thx hey hi hello ok okay yo just also too very really quite now currently right
there here up down out off again still only more most less least many much few several
namespace namespaces ns cluster clusters context contexts
ls need needs want wants see know quick question roughly exist exists doing left whether figure cause because
going tell thing things stuff something anything everything nothing everyone anyone someone lot lots bit
like same other another new old first second third next previous last latest recent recently
kubernetes k8s kube kubectl k please again since ago today yesterday tonight morning afternoon evening
""")
"""Words that are never taken as an object, namespace or cluster name."""

NOT_SCOPE_WORDS = word_set("""
general use particular short place sync order progress practice theory total detail details advance case parallel
bulk yaml json table tables text csv wide brief words english plain fire trouble danger
loop loops chunks batches time real reality future past meantime line lines question mind call shift hand
env envs environment environments var vars variables aws amazon gcp google azure cloud prem premise premises
""")
"""Words that follow "in" or "on" in ordinary sentences ("in general", "on fire"); never a namespace or cluster."""

MASK_NAME = "xname"
MASK_NAMESPACE = "xnamespace"
MASK_CLUSTER = "xcluster"
MASK_LABEL = "xlabel"
MASK_NUMBER = "xnum"
MASK_WINDOW = "xwindow"
MASK_TEXT = "xtext"
MASK_NODE = "xnode"
MASK_RESOURCE = "xresource"
MASKS = frozenset({MASK_NAME, MASK_NAMESPACE, MASK_CLUSTER, MASK_LABEL, MASK_NUMBER, MASK_WINDOW, MASK_TEXT, MASK_NODE,
                   MASK_RESOURCE})
"""Placeholders that replace slot values in the text the classifier sees, so it learns the shape of a
question rather than the names in it."""
