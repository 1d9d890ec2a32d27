"""Container logs of a simulated cluster: what programs of common images print (formats.py), the log of one
container run as a function of time (script.py), and the log source that serves and follows them
(source.py). It reads pod status and never changes cluster objects.
"""
