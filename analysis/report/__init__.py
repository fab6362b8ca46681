"""The writing kit every stage uses: a report section (`section`), Markdown tables (`markdown`), figures
(`figures`), the synthetic labels of replay-hub data (`labels`), filename-safe names (`names`), tables and figures
written by one helper (`output`), and the report document itself (`document`). Imports only `analysis.common`."""
