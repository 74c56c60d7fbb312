"""The compact answer store: what scoring reads instead of the responses' JSON.

Each ingest batch is also written as one block of column arrays (``columns``: small
integer codes per question, dictionary-encoded keys, collection times), serialised by
``codec`` into one database row in the same transaction as the responses; ``reader``
gathers the blocks of a request into the arrays ``core.scoring`` scores. Pure numpy and
pandas: the table and its queries are ``core.db.repositories.answer_blocks``.
"""

from core.store.codec import LAYOUT, BlockView, decode, encode
from core.store.columns import AnswerColumns, KeyColumn, QuestionColumn
from core.store.reader import StoreSlice, score_blocks

__all__ = ["LAYOUT", "AnswerColumns", "BlockView", "KeyColumn", "QuestionColumn", "StoreSlice", "decode", "encode", "score_blocks"]
