"""A small hand-written lexicon of concepts ("why" <- troubleshoot, root cause, what's wrong; "money" <- cost,
spend, bill), added to the classifier's input as tags. Tags let a handful of examples per intent cover
the many ways people say the same thing; the model still weighs them against everything else.
"""

from __future__ import annotations

import re

_CONCEPTS: dict[str, str] = {
    "count": r"how\s+many|count|counts|number\s+of|tally|total|how\s+much\s+(?:pods|deployments)",
    "logs": r"logs?|logging|stdout|stderr|print(?:ed|ing)?|output|tail|grep",
    "why": r"why|how\s+come|root\s+cause|troubleshoot\w*|debug\w*|diagnos\w*|investigat\w*|figure\s+out|wrong\s+with|"
           r"what's\s+wrong|whats\s+wrong|cause|causing|can't|cannot|won't|not\s+starting|keeps?\s+\w+ing",
    "money": r"costs?|cots|spend\w*|money|expensive|cheap\w*|bill\w*|budget|price|pricing|dollars?|\$|save|savings|"
             r"waste\w*|idle|overprovision\w*|rightsiz\w*|finops",
    "security": r"secur\w*|privileged|privilege|root|rbac|vulnerab\w*|cves?|cis|harden\w*|permissions?|cluster-admin|"
                r"exposed|risky|audit|compliance|passwords?|hostpath|capabilities|latest\s+tags?|image\s+tags?|"
                r"unpinned|pinned|hard-?coded|plain\s*text|env\s+vars?|credentials|api\s+keys?|uid\s+0|"
                r"runasnonroot|runasuser|escalation|host\s*(?:paths?|network|pid|ipc)|hostnetwork|hostpid|"
                r"untrusted|registr(?:y|ies)|polaris|kube-bench|rolebindings?|publicly",
    "change": r"chang\w*|chnaged|modified|updated|rollouts?|rolled\s+out|deployed|different|diff|new\s+image|"
              r"who\s+did|happened\s+since|changelog",
    "apis": r"api-resources|api-versions|api\s+resources|apis|crds?|custom\s+resources|resource\s+(?:types|kinds)|"
            r"api\s+groups?|api\s+versions?|kinds|networking\.k8s\.io|metrics\s+api",
    "contexts": r"contexts?|kubeconfig|clusters|environments|which\s+cluster|current-context|get-contexts",
    "report": r"report|reprot|full\s+sweep|all\s+checks|comprehensive|executive|complete\s+review|"
              r"everything\s+about\s+the",
    "health": r"health\w*|helth|problems?|issues?|on\s+fire|ok|okay|broken|alerts?|anomal\w*|attention|unhealthy|"
              r"up\s+and\s+running|apps\s+up|worr\w*|concern\w*|red\s+flags?|green|degraded|incidents?|"
              r"sanity|fine|weird|suspicious|alarming",
    "usage": r"top|cpu|memory|mem|ram|usage|consum\w*|hogging|heaviest|hungry|busiest|using|utili[sz]ation|metrics",
    "events": r"events?|evnets|warnings?|complain\w*",
    "nodestate": r"conditions?|pressure|ready|schedulable|unschedulable|cordoned|capacity|allocatable|kubelet|"
                 r"notready|room\s+left",
    "describe": r"describe|dscribe|desc|details?|everything\s+about|more\s+info|inspect|explain|what's\s+in|"
                r"tell\s+me\s+about",
    "overview": r"overview|overveiw|summary|summari[sz]e|rundown|lay\s+of\s+the\s+land|cluster-info|cluster\s+info|"
                r"version|snapshot|big\s+picture|picture|overall|at\s+a\s+glance|bird'?s\s+eye|state\s+of\s+the|"
                r"how(?:'s|\s+is|\s+are)\s+(?:the\s+)?(?:cluster|everything|things)",
    "list": r"list|lsit|ls|show|display|which|what|get|all|every",
    "greet": r"help|hlep|hi|hello|hey|morning|usage|examples?|what\s+can\s+(?:you|i)|how\s+do\s+i\s+use",
}
_PATTERNS = tuple((tag, re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])")) for tag, pattern in _CONCEPTS.items())


def concept_tags(text: str) -> str:
    """The concept tags found in `text`, as words the classifier can weigh ("zcount zlogs")."""
    return " ".join(f"z{tag}" for tag, pattern in _PATTERNS if pattern.search(text))
