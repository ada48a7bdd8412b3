"""Run the chatlake extractor inside `dbt build`: lands new transcript lines in raw.*.

Source roots come from chatlake's settings: $CHATLAKE_ROOTS (separated by the OS path separator),
else the config file's `roots`, else ~/.claude/projects and $CLAUDE_CONFIG_DIR/projects. The table this model leaves is the
summary of the latest load it saw (raw.loads logs every load).
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from chatlake.transform.load_model import load_for_dbt

    # A statement of its own: dbt finds the keys a model reads only in calls it can see at the top
    # of one. The var rendered into the model's meta (_load__models.yml) arrives as text.
    skip = dbt.config.meta_get("skip_extract")
    return load_for_dbt(session, skip_extract=str(skip).lower() == "true")
