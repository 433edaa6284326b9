-- SNS topics that have subscriptions, one row per topic ARN. confirmed counts the subscriptions
-- that deliver (a confirmed one has a real ARN; an unconfirmed one reads 'PendingConfirmation' and
-- delivers nothing), pending the others, by protocol and endpoint.
select
  topic_arn,
  count(distinct case when subscription_arn like 'arn:%' and not coalesce(pending_confirmation, false)
    then subscription_arn end) as confirmed,
  count(distinct case when not (subscription_arn like 'arn:%' and not coalesce(pending_confirmation, false))
    then coalesce(protocol, '') || ':' || coalesce(endpoint, '') end) as pending
from aws_sns_topic_subscription
group by topic_arn
