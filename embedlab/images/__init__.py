"""Images: safe reading of uploads (``safety``), the built-in gallery (``gallery``), the image
store on disk and in Chroma (``store``) and search, zero-shot labels and maps (``search``)."""
