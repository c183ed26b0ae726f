"""The built-in image gallery, from what installed packages ship (nothing is downloaded).

- ``gallery``: scikit-image's bundled photographs and pictures (only the ones in its wheel;
  brain, cells3d, eagle, kidney, lily... download and are left out) and scikit-learn's two
  sample images; each keeps its name, a label and a caption.
- ``gallery-faces``: scikit-image's LFW subset, 100 faces then 100 background patches (25x25).
- ``gallery-digits``: scikit-learn's 1,797 labelled 8x8 digits (dark ink on white, upscaled by
  the models' preprocessing).
"""

from __future__ import annotations

import numpy as np

from embedlab.cache import memoize
from embedlab.images.item import ImageItem, item_from_array

#: (scikit-image function, name shown, label, caption)
SKIMAGE_PICTURES: tuple[tuple[str, str, str, str], ...] = (
    ("astronaut", "astronaut", "person", "Eileen Collins, NASA astronaut, portrait with a flag"),
    ("brick", "brick", "texture", "a brick wall, grey"),
    ("camera", "camera", "person", "a photographer with a camera on a tripod (cameraman)"),
    ("chelsea", "chelsea", "animal", "Chelsea the cat"),
    ("cell", "cell", "microscopy", "a cell under the microscope"),
    ("checkerboard", "checkerboard", "synthetic", "a black and white checkerboard"),
    ("clock", "clock", "object", "a wall clock, motion blurred"),
    ("coffee", "coffee", "object", "a cup of coffee on a saucer"),
    ("coins", "coins", "object", "Greek coins"),
    ("colorwheel", "colorwheel", "synthetic", "a colour wheel"),
    ("grass", "grass", "texture", "grass, close up"),
    ("gravel", "gravel", "texture", "gravel, close up"),
    ("horse", "horse", "animal", "the silhouette of a horse"),
    ("hubble_deep_field", "hubble_deep_field", "space", "the Hubble deep field: galaxies"),
    ("immunohistochemistry", "immunohistochemistry", "microscopy", "stained tissue under the microscope"),
    ("logo", "logo", "synthetic", "the scikit-image logo: a snake"),
    ("microaneurysms", "microaneurysms", "microscopy", "retina detail with microaneurysms"),
    ("moon", "moon", "space", "the surface of the moon"),
    ("page", "page", "text", "a scanned page of text"),
    ("retina", "retina", "microscopy", "a human retina, fundus photograph"),
    ("rocket", "rocket", "vehicle", "a rocket launch (SpaceX Falcon 9)"),
    ("shepp_logan_phantom", "shepp_logan_phantom", "synthetic", "the Shepp-Logan phantom (a synthetic head scan)"),
    ("stereo_motorcycle", "motorcycle", "vehicle", "a motorcycle (left image of a stereo pair)"),
    ("text", "text", "text", "text on a photographed sign"),
)
SKLEARN_PICTURES = (("china.jpg", "china", "building", "a Chinese temple"),
                    ("flower.jpg", "flower", "plant", "a flower, close up"))
FACE_LABELS = ("face", "background")
GALLERY_DATASETS = ("gallery", "gallery-faces", "gallery-digits")


@memoize(max_entries=2)
def gallery_photos() -> list[ImageItem]:
    """scikit-image's bundled pictures and scikit-learn's two sample images (26)."""
    import skimage.data
    from sklearn.datasets import load_sample_images

    items = []
    for function, name, label, caption in SKIMAGE_PICTURES:
        array = getattr(skimage.data, function)()
        if isinstance(array, tuple):  # stereo_motorcycle: (left, right, disparity)
            array = array[0]
        if array.dtype == bool:
            array = np.where(array, 0, 255).astype(np.uint8)  # the horse: black on white
        items.append(item_from_array(name, array, label, caption))
    samples = load_sample_images()
    for (filename, name, label, caption) in SKLEARN_PICTURES:
        array = samples.images[samples.filenames.index(next(f for f in samples.filenames if f.endswith(filename)))]
        items.append(item_from_array(name, array, label, caption))
    return items


@memoize(max_entries=2)
def gallery_faces() -> list[ImageItem]:
    """scikit-image's LFW subset: 100 faces, then 100 background patches (25 x 25, grey)."""
    import skimage.data

    faces = skimage.data.lfw_subset()
    return [item_from_array(f"lfw-{i:03d}", array, FACE_LABELS[0] if i < 100 else FACE_LABELS[1],
                            "a face from Labeled Faces in the Wild" if i < 100 else "a patch with no face")
            for i, array in enumerate(faces)]


@memoize(max_entries=2)
def gallery_digits() -> list[ImageItem]:
    """scikit-learn's 1,797 handwritten digits (8 x 8), dark ink on white, labelled 0-9."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    pixels = (255 - digits.images * (255 / 16)).round().astype(np.uint8)
    return [item_from_array(f"digit-{i:04d}", array, str(int(target)), f"a handwritten {int(target)}")
            for i, (array, target) in enumerate(zip(pixels, digits.target, strict=True))]
