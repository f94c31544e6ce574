-- The alert task finds the link behind every card event's consent id, and
-- every activation reads the highest activation number: both looked at
-- every link (a scan per lookup) without these.
CREATE INDEX links_by_consent ON links(consent_id) WHERE consent_id IS NOT NULL;
CREATE INDEX links_by_activation ON links(activated_seq);
