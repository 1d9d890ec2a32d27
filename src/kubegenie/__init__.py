"""KubeGenie: a conversational Kubernetes assistant that answers from live cluster data."""

__version__ = "0.1.0"
__all__ = ["__version__"]
