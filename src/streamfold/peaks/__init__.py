"""Peak detection, end to end: synthetic laser-line profiles (``data``), metrics
(``metrics``), classical baselines (``baselines``) and small quantized 1-D detectors
(``detector``). ``bench/peaks.py`` puts them side by side; docs/peaks.md explains the choices.
"""
