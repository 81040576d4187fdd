-- A message's items are the notices it carries (issue 17): the message no longer copies them,
-- so a delivery, a link and the inbox read them by message. Only sent notices name one.
CREATE INDEX notices_by_message ON notices (message_id) WHERE message_id IS NOT NULL;
