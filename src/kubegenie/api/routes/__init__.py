"""One router per noun of the REST API (DESIGN.md section 3): chat, clusters, agents, tasks, health."""
