"""Image-text search: text -> image, image -> image, zero-shot labels and image maps."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go  # noqa: F401
import streamlit as st

from embedlab import datasets, demos
from embedlab.backends import BackendKind, backend_names, catalogue
from embedlab.corpus import corpus_map
from embedlab.estimates import announce, images_seconds
from embedlab.images import search as img
from embedlab.images.models import conse_with, default_image_text_backend
from embedlab.images.safety import IMAGE_LIMITS, open_image, read_uploads
from embedlab.images.store import (
    collection_names,
    ensure_collection,
    images_to_encode,
    ingest_images,
    is_ready,
    thumbnail_bytes,
)
from embedlab.maps.projection import ProjectionParams
from embedlab.maps.view import PALETTE, colours_for
from embedlab.ui import url_state
from embedlab.ui.charts import confusion_heatmap, probability_bars, short_label
from embedlab.ui.feedback import plain, progress_reporter, store_or_stop, user_errors
from embedlab.ui.frame import page_frame
from embedlab.ui.pointmap import MapColours, MapMarks, point_map
from embedlab.ui.uploads import kept_upload

MODES = ["Text → image", "Image → image", "Zero-shot labels", "Map"]
CONSE_LIMITS = ("**ConSE** (the offline default) reads a picture through EfficientNet-Lite0's 1,000 ImageNet classes and"
                " places it among MiniLM's sentence vectors of those class names. It finds what ImageNet names (cats, cups,"
                " rockets, horses, cameras, walls, motorcycles, flowers…), and nothing else: the moon, grass, a face or a"
                " handwritten 3 have no class of their own.")
CLIP_NOTE = "**CLIP** (open_clip with the configured weights) reads pictures and texts with its own two encoders."
EXPLANATION = """
**Two spaces.** *EfficientNet-Lite0* gives each image 1,280 numbers from the last layer of an
ImageNet classifier: images that *look* alike (texture, shape, colour) are close, which is what
image → image search and the maps use. It cannot read text. *ConSE* (Norouzi et al. 2014) puts
images into a **text** space: the classifier's top 10 ImageNet classes, weighted by their
probabilities, average MiniLM's vectors of "a photo of a {class}". A text query goes through
MiniLM too, so "a cat" lands near pictures whose top classes are tabby, tiger cat and Egyptian cat.
*CLIP* (when weights are configured) learnt images and captions together and needs no classes.

**What ConSE can and cannot find.** It only knows ImageNet's 1,000 concepts. In the guided demo
"a cat", "a cup of coffee", "a rocket launch", "a horse", "a photographer with a camera", "a brick
wall", "a motorcycle" and "a flower" put the right picture first. **"the moon" fails**: ImageNet
has no moon class, so the moon photo's vector is a blend of whatever round grey things the
classifier guessed, and the query lands elsewhere. Faces vs background patches (LFW subset) fail
the same way zero-shot (about chance), while the *same vectors* separate them almost perfectly
with a nearest-neighbour rule: the information is there, the class names are not.

**Zero-shot labels** fill the template with each label, embed those texts, and take a softmax
of the model's scale × cosine with the image (ConSE's scale is 30, CLIP's is learnt). On a
labelled collection the accuracy and the confusion matrix use every image (exact search).

**The map** is the Explore map code over the image vectors (PCA or UMAP, seeded); colour is the
label. The demo maps the first 500 of scikit-learn's digits with EfficientNet-Lite0 (an ImageNet
network that never saw a digit) by UMAP: the digits gather by class (silhouette of the map by
digit 0.20 here; PCA's 2-D view only -0.03), and a picked digit's nearest neighbour has the same
label 84% of the time; the mix-ups are 5 with 3, 2 with 3, 5 with 2: shapes alike, not meanings.
"""

store = store_or_stop()
image_models = backend_names(BackendKind.IMAGE) + backend_names(BackendKind.IMAGE_TEXT)
status = {row.name: row for row in catalogue().status()}
usable = [name for name in image_models if status[name].available]
default_backend = default_image_text_backend()
stored = collection_names(store)
collections = list(dict.fromkeys([*datasets.names("images"), *stored]))


def demo() -> dict[str, str | int]:
    """The guided demo: ConSE on the gallery, the queries that work, the one that fails."""
    return {"img_collection": "gallery", "img_backend": "conse", "img_mode": MODES[0], "img_query": "a cat", "img_k": 5,
            "img_more": "", "img_conse_t": 10, "img_query_image": ""}


frame = page_frame(
    "images",
    defaults={"img_collection": "gallery", "img_backend": default_backend, "img_mode": MODES[0], "img_query": "", "img_k": 5,
              "img_more": "", "img_labels": "cat, cup of coffee, rocket, horse, flower", "img_template": img.DEFAULT_TEMPLATE,
              "img_pick": "", "img_eval_shown": False, "img_map_method": "pca", "img_conse_t": 10, "img_query_image": ""},
    choices={"img_collection": collections, "img_backend": usable, "img_mode": MODES, "img_map_method": ["pca", "umap"]},
    caption="Find pictures by text or by picture, label them zero-shot, and map a collection.",
    explanation=EXPLANATION,
    demo=demo,
    demo_help="ConSE on the gallery: eight queries that work, one that fails, then the digits map",
)


def load_digits_demo() -> None:
    """Second part of the demo: the digits map coloured by digit."""
    st.session_state["_img_digits_pending"] = True


def more_like(image_id: str) -> None:
    url_state.remember("images", img_mode=MODES[1], img_more=image_id, img_query_image="")


def show_grid(result: img.ImageSearch, key: str, columns: int = 5) -> None:
    """Thumbnails with their names and scores, each with a "More like this" button."""
    st.caption(plain(f"{result.collection} · {result.backend} · {len(result.hits)} nearest by cosine ({result.method} search)"))
    cells = st.columns(columns)
    for rank, hit in enumerate(result.hits):
        cell = cells[rank % columns]
        picture = thumbnail_bytes(hit.id)
        if picture is not None:
            cell.image(picture, width="stretch")
        cell.markdown(f"**{rank + 1}. {plain(hit.name)}**  \n{hit.score:.3f}" + (f" · {plain(hit.label)}" if hit.label else ""))
        cell.button("More like this", key=f"{key}_more_{rank}", on_click=more_like, args=(hit.id,))


active = status[default_backend]
st.info((CLIP_NOTE if default_backend == "clip" else CONSE_LIMITS) + f" Active image-text model: **{active.name}** on {active.device}."
        + ("" if default_backend == "clip" else " CLIP is used instead when `EMBEDLAB_CLIP_PRETRAINED` names weights that load."))

if st.session_state.pop("_img_digits_pending", False):
    with user_errors():
        demos.images_digits_collection(progress_reporter("Encoding 500 digits with EfficientNet-Lite0"))
        url_state.remember("images", img_collection=demos.IMAGES_DIGITS_COLLECTION, img_backend=demos.IMAGES_MAP_BACKEND,
                           img_mode=MODES[3], img_map_method="umap")
        st.rerun()

# -- images in ---------------------------------------------------------------------------------
with st.expander("➕ Add images: upload pictures or a ZIP", expanded=False):
    st.caption(IMAGE_LIMITS.describe() + " Each file is checked by its content; a bad file gets its own message and the rest go in."
               " In a ZIP, each image's folder is its label (as torchvision's ImageFolder: `cats/a.png` is a cat; one folder"
               " wrapping them all is skipped): the map is coloured by it and zero-shot labels are scored against it."
               " Nothing is kept until you press **Store images** (a reload empties this box: choose the files again); once"
               " stored, the collection survives reloads and links.")
    uploads = st.file_uploader("Images or ZIP files", type=["jpg", "jpeg", "png", "webp", "gif", "bmp", "zip"],
                               accept_multiple_files=True, key="img_upload")
    u1, u2 = st.columns(2)
    upload_name = u1.text_input("Collection name", value="my-images", key="img_upload_name")
    upload_backend = u2.selectbox("Model", usable, index=usable.index(default_backend) if default_backend in usable else 0,
                                  key="img_upload_backend")
    if st.button("Store images", type="primary", key="img_upload_go", disabled=not uploads):
        with user_errors():
            upload = read_uploads((file.name, file.getvalue()) for file in uploads or [])
            report = ingest_images(upload_name, upload_backend, upload.items, source="upload", rejected=upload.rejected,
                                   progress=progress_reporter(f"Encoding {len(upload.items):,} images"), store=store)
            st.session_state["_img_stored"] = {**report.as_dict(), "labels": sorted({i.label for i in upload.items if i.label})}
            url_state.remember("images", img_collection=report.collection, img_backend=report.backend, img_more="")
            st.rerun()
done = st.session_state.pop("_img_stored", None)
if done:
    st.success(plain(f"Stored {done['images']:,} images in {done['collection']} ({done['backend']}): {done['added']:,} encoded,"
                     f" {done['skipped']:,} already there, {len(done['rejected']):,} refused."
                     + (f" Labels from the folders: {', '.join(done['labels'])}." if done.get("labels") else
                        " No folders in the upload, so no labels (one folder per label gives each image its label).")))
    for bad in done["rejected"]:
        st.warning(plain(f"{bad['name']}: {bad['reason']}"), icon="🚫")

top = st.columns([2, 2, 1])
collection = top[0].selectbox("Collection", collections, key="img_collection",
                              format_func=lambda n: datasets.dataset(n).line() if n in datasets.names("images") else n)
backend = top[1].selectbox("Model", usable, key="img_backend",
                           format_func=lambda n: f"{n} ({status[n].kind}, {status[n].device})")
url_state.slider(top[2], "Results (k)", 1, 20, key="img_k")
reads_text = status[backend].kind == str(BackendKind.IMAGE_TEXT)
if backend == "conse":
    url_state.number_input(st.columns([1, 3])[0], "ConSE: top ImageNet classes per image (T)", 1, 50, key="img_conse_t",
                           help="Norouzi et al. use T = 10; T = 1 is the single best class. Another T is another model (its own collections).")
    backend = conse_with(int(st.session_state["img_conse_t"]))
mode = st.segmented_control("What to do", MODES, key="img_mode", required=True)
k = int(st.session_state["img_k"])


def encoding_progress() -> Callable[[int, int], None] | None:
    """A progress bar when the collection must be encoded with the chosen model first (said
    beforehand with what it takes here), else None."""
    if is_ready(collection, backend, store):
        return None
    count = images_to_encode(collection, store)
    said = announce(f"Encoding {count:,} images of {collection} with {backend} (once; kept in Chroma)", images_seconds(backend, count))
    if said:
        st.caption(plain(said))
    return progress_reporter(f"Encoding {collection} with {backend}")


def ready() -> None:
    """Encode the collection with the chosen model first, when it is not stored yet."""
    ensure_collection(collection, backend, store=store, progress=encoding_progress())


if frame.demo_on and mode == MODES[0] and collection == "gallery" and backend == "conse":
    with user_errors():
        ready()
        worked = img.first_hits([*demos.IMAGES_QUERIES.items(), demos.IMAGES_FAILURE], "gallery", "conse", store=store)
        st.markdown("**Guided demo: the top picture for each query (ConSE, gallery)**")
        st.dataframe(pd.DataFrame([hit.as_row() for hit in worked]), hide_index=True, key="img_demo_table")
        st.caption("The last query fails: ImageNet has no moon class, so ConSE has nothing to put the moon photo near."
                   " Next, the digits map:")
        st.button("▶ Demo part 2: the digits map", on_click=load_digits_demo, key="img_demo_digits")

with user_errors():
    if mode == MODES[0]:
        st.text_input("Find pictures of…", key="img_query", placeholder="e.g. a cat, a cup of coffee, a rocket launch")
        query = str(st.session_state.get("img_query") or "")
        if not reads_text:
            st.info(f"{backend} reads pictures only: choose an image-text model (conse or clip) for text queries.")
        elif query.strip():
            ready()
            show_grid(img.search_text(query, collection, backend, k, store=store), "img_text")
    elif mode == MODES[1]:
        query_file = st.file_uploader("Query image", type=["jpg", "jpeg", "png", "webp", "gif", "bmp"], key="img_query_file")
        kept_query = kept_upload("images", query_file, "img_query_image", what="query image")
        more = str(st.session_state.get("img_more") or "")
        if kept_query is not None:
            picture = open_image(*kept_query)
            st.image(picture, caption=plain(kept_query[1]), width=160)
            ready()
            show_grid(img.search_image(picture, collection, backend, k, query=kept_query[1], store=store), "img_image")
        elif more:
            ready()
            result = img.more_like_this(more, collection, backend, k, store=store)
            source = thumbnail_bytes(more)
            if source is not None:
                st.image(source, caption=plain(result.query), width=160)
            show_grid(result, "img_similar")
        else:
            st.info("Upload a query image, or press **More like this** under any result.")
    elif mode == MODES[2]:
        z1, z2 = st.columns([3, 2])
        z1.text_input("Labels (comma-separated)", key="img_labels")
        z2.text_input("Prompt template ({} = the label)", key="img_template")
        if not reads_text:
            st.info(f"{backend} reads pictures only: zero-shot labels need an image-text model (conse or clip).")
        else:
            labelled = img.zero_shot_stored(collection, backend, st.session_state.get("img_pick"),
                                            str(st.session_state["img_labels"]), str(st.session_state["img_template"]),
                                            store=store, progress=encoding_progress())
            st.session_state["img_pick"] = labelled.picked
            pick = st.selectbox("Image", labelled.names, key="img_pick")
            template = str(st.session_state["img_template"])
            left, right = st.columns([1, 3])
            picture = thumbnail_bytes(labelled.ids[labelled.index])
            if picture is not None:
                left.image(picture, caption=plain(pick), width="stretch")
            right.plotly_chart(probability_bars(labelled.labels, labelled.probabilities, f"{pick}: zero-shot ({backend})"),
                               key="img_probs")
            truth = labelled.collection_labels
            if len(truth) >= 2:
                st.markdown(f"**This collection is labelled** ({', '.join(plain(t) for t in truth[:12])}{'…' if len(truth) > 12 else ''}).")
                if st.button("Zero-shot accuracy on its own labels", key="img_eval"):
                    url_state.remember("images", img_eval_shown=True)
                if st.session_state.get("img_eval_shown"):
                    evaluation = img.evaluate_zero_shot(collection, None, template, backend, store=store)
                    e1, e2, e3 = st.columns(3)
                    e1.metric("Zero-shot accuracy", f"{evaluation.accuracy:.3f}", help=f"{evaluation.n:,} images, template {template!r}")
                    e2.metric("Chance (largest class)", f"{evaluation.chance:.3f}")
                    e3.metric("Nearest-neighbour accuracy (leave one out)",
                              "n/a" if evaluation.neighbour_accuracy is None else f"{evaluation.neighbour_accuracy:.3f}",
                              help="supervised, for contrast: each image gets the label of its nearest other image")
                    st.plotly_chart(confusion_heatmap(evaluation.labels, evaluation.confusion, f"Zero-shot confusion ({backend})"),
                                    key="img_confusion")
    else:
        method = st.radio("Projection", ["pca", "umap"], key="img_map_method", horizontal=True)
        corpus = img.image_corpus(collection, backend, store=store, progress=encoding_progress())
        if len(corpus) < 3:
            st.info("A map needs at least 3 images.")
        else:
            projection = corpus_map(corpus, ProjectionParams(method=method, seed=42))
            labels = corpus.metadata["label"].astype(str).tolist() if "label" in corpus.metadata else None
            colours = colours_for(labels)
            hover = [f"{name} · {label}" for name, label in zip(corpus.texts, labels or [""] * len(corpus), strict=True)]
            left, right = st.columns([2, 1])
            with left:
                events = point_map("img_map", projection.coords, hover,
                                   MapColours(codes=colours.codes, palette=PALETTE, legend=colours.legend(), title="label"),
                                   MapMarks(selected=(getattr(st.session_state.get("img_map"), "selection", None) or [])),
                                   height=560, caption=f"{collection} · {backend} · {method.upper()} · seed 42")
                st.caption(f"{len(corpus):,} images, coloured by label. Click a point or Box/Lasso select: thumbnails appear on the right.")
            with right:
                chosen = events.selection or ([events.picked] if events.picked is not None else [])
                if not chosen:
                    st.caption("Select points on the map to see their pictures here.")
                else:
                    st.markdown(f"**{len(chosen):,} selected**")
                    grid = st.columns(2)  # three in a quarter of the page wrapped captions one letter per line
                    for n, row in enumerate(chosen[:30]):
                        picture = thumbnail_bytes(corpus.ids[row])
                        if picture is not None:
                            name = short_label(corpus.texts[row].replace("\\", "/").rsplit("/", 1)[-1], 18)
                            grid[n % 2].image(picture, caption=plain(f"{name} · {labels[row]}" if labels and labels[row] else name),
                                              width="stretch")
                    if len(chosen) > 30:
                        st.caption(f"The first 30 of {len(chosen):,}.")

frame.publish()
