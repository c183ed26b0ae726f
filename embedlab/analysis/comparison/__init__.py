"""Comparing embedding spaces: two models on one corpus (``models``: where their neighbourhoods
agree, CKA, Spearman ρ of pairwise similarities, clusters of one on the other), and two corpora or
two periods under one model (``drift``: centroid distance, MMD with a permutation p-value, a domain
classifier's AUC, cluster shares, typical rows). ``metrics`` holds the maths as plain functions,
``settings`` the defaults and bounds (this package imports nothing itself, so the CLI starts fast)."""
