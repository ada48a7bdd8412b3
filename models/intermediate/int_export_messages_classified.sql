{#-
    The one place that decides what a human typed in a ChatGPT or Claude.ai conversation
    (FORMAT.md sections 8 and 9). Every message of a visible branch is kept with the reason it
    is not a human message, or none.
-#}

with messages as (
    select * from {{ ref('stg_exports__messages') }}
),

conversations as (
    select source_kind, conversation_id, source_file, created_at as conversation_created_at
    from {{ ref('stg_exports__conversations') }}
),

trimmed as (
    select
        messages.*,
        trim(messages.text, ' ' || chr(9) || chr(10) || chr(13)) as content
    from messages
),

judged as (
    select
        trimmed.*,
        case
            when not (
                (source_kind = 'chatgpt' and role = 'user')
                or (source_kind = 'claude_ai' and role = 'human')
            ) then 'not a user message'
            when is_hidden then 'hidden'
            -- custom instructions (user_editable_context) and other non-prose user content
            when source_kind = 'chatgpt' and coalesce(content_type, '') not in ('text', 'multimodal_text')
                then 'not typed text'
            when content = '' and image_count = 0 then 'empty'
        end as exclusion_reason
    from trimmed
),

final as (
    select
        judged.load_id,
        judged.source_kind,
        judged.conversation_id,
        judged.position,
        judged.message_id,
        coalesce(judged.created_at, conversations.conversation_created_at) as created_at,
        conversations.conversation_created_at,
        conversations.source_file,
        judged.exclusion_reason is null as is_human,
        judged.exclusion_reason,
        'prompt' as kind,
        judged.content,
        judged.image_count
    from judged
    inner join conversations
        on conversations.source_kind = judged.source_kind
        and conversations.conversation_id = judged.conversation_id
)

select * from final
