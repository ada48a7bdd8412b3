"""Run the chatlake extractor inside `dbt build`: lands new transcript lines in raw.*.

Source roots come from chatlake's settings: $CHATLAKE_ROOTS (separated by the OS path separator),
else the config file's `roots`, else ~/.claude/projects and $CLAUDE_CONFIG_DIR/projects. The table this model leaves is the
summary of the latest load it saw (raw.loads logs every load).
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from chatlake.transform.load_model import load_for_dbt

    # a var rendered into the config arrives as text
    return load_for_dbt(session, skip_extract=str(dbt.config.get("skip_extract")).lower() == "true")
