"""Every limit an ingested batch is held to, defined here and nowhere else.

Everyone who needs a value imports it from this module: the record kinds that enforce
them, the settings (``CSM_MAX_BATCH`` defaults to ``MAX_BATCH``), the API schemas that
document them, and the database tables whose column widths are the text limits. The
widths matter: repositories store prepared rows without checking them again, so a column
narrower than the check would turn an over-long value into a database error (a 500)
instead of a 422 naming the row. Changing a text limit therefore needs a migration.

Plain constants, no imports: safe to import from any layer.
"""

# --- every record kind ------------------------------------------------------------------

# Rows per batch (one API request, one `csm import-responses` file): the default of the
# setting CSM_MAX_BATCH, which callers pass on as ``max_rows``. JSON items are counted
# before any frame is built; CSV parsing stops one row past the limit.
MAX_BATCH = 10_000
# Problems listed in one refusal; the total is still counted (a bad batch of 10,000 rows
# must not build, send and print 10,000 error objects).
MAX_ERRORS = 1000
# Every distinct name in a batch (field, question code, attribute) becomes a column of its
# frames, rows × names cells: 10,000 items with 20 names of their own each fit in a few
# megabytes of JSON and would ask for 2 billion cells. So a batch may use at most
# MAX_ATTRIBUTES attribute names, and one with more than MAX_UNKNOWN_NAMES unknown field
# or question names is refused as a whole before any frame is built. A CSV header may name
# the kind's own columns plus MAX_ATTRIBUTES.
MAX_ATTRIBUTES = 100
MAX_UNKNOWN_NAMES = 50
MAX_ATTRIBUTE_NAME_LENGTH = 64
# A JSON request body may hold at most this many values (objects, arrays, strings,
# numbers) per item of the largest batch: 640,000 for 10,000 items. A response of 50
# answers and 5 attributes is 62 (the item, its two objects, four meta fields). The
# count is taken before anything is decoded (core.api.json_body), so a body of millions
# of tiny values (31 MiB of empty objects decode to some 720 MB) is refused at the cost
# of reading it.
JSON_VALUES_PER_ITEM = 64
# Attribute values (segment, region, store...).
MAX_ATTRIBUTE_LENGTH = 200

# --- text lengths, in characters (the columns in core/db/tables.py are this wide) -------

MAX_ID_LENGTH = 200  # a record's own id and the customer id
MAX_TOUCHPOINT_LENGTH = 100
MAX_CODE_LENGTH = 100  # case types and event types
MAX_TEXT_ANSWER_LENGTH = 5000  # answers to open (text) questions
