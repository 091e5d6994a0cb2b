-- The analysis sub-stream (issue 23): a camera added by URL may name a smaller stream for analysis
-- to decode instead of its main one. Without userinfo, like record_url: the camera's credentials
-- apply. An ONVIF camera's sub-stream comes from its `onvif` info; this column, when set, wins.
alter table cameras add column analysis_url text;
