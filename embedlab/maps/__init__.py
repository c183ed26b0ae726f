"""Maps of a set of vectors, below the features that draw them: projections (UMAP, PCA, t-SNE),
clusters with their labels, neighbourhood figures (trustworthiness), what a map shows (colours,
hover, picks, filters) and the TensorBoard projector export."""
