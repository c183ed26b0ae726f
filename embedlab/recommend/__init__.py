"""Recommendation: users and items in one space. ``data`` (MovieLens 100k, uploads), ``models``
(ALS/BPR/SVD, content, hybrid, baselines), ``itemstore`` (item vectors in Chroma), ``queries``
(top-k with reasons, cold start, more like this), ``explain`` (because, dot vs cosine, joint
map vectors), ``evaluate`` (leave-last-out, full ranking, HR@10/NDCG@10/coverage)."""
