"""Run the chatlake extractor inside `dbt build`: lands new transcript lines in raw.*.

Source roots come from $CHATLAKE_ROOTS (separated by the OS path separator), else
~/.claude/projects and $CLAUDE_CONFIG_DIR/projects. The table this model leaves is the
summary of the latest load it saw (raw.loads logs every load).
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from chatlake.extract.dbt_entry import load_for_dbt

    return load_for_dbt(session)
