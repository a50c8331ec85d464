"""The seeds' periodic reports (issue 15 item 8), from the work-order tables.

- weekly complaint report (《投诉周报表》, seed 003: handed in every Tuesday for the
  week before, Monday to Sunday on the office's calendar);
- monthly complaint and follow-up analysis (《投诉、回访统计分析报表》, 003 and 004:
  by category, department and community, satisfaction, and the problems that keep
  coming back, listed for a preventive fix);
- repair timeliness and durations (000: order time, completion time, work hours;
  003: to engineering within 3 minutes of the call);
- the effective-complaint rate (003: 有效投诉处理率 100 %; 004: 无效投诉).

Layout: `periods` (what a week or month is in the office zone), `records`
(dataclasses), `queries` (the database to records), `render` (records to JSON and
xlsx), `cli` (`hotline reports`), `demo_orders` (a month of believable orders for
`hotline demo-data`). The supervisor's pages are agent_console.supervisor.reports_view.
Nothing here reads the environment: the office zone and `now` are passed in.
"""
