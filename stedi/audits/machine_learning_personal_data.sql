-- Privacy: columns of machine_learning_curated that hold personal data, or the pseudonym key
-- itself. Zero rows = pass.
SELECT column_name AS offending
FROM information_schema.columns
WHERE table_name = 'machine_learning_curated'
  AND lower(column_name) IN ('email', 'user', 'customername', 'phone', 'birthday', 'serialnumber')
UNION ALL
SELECT 'customer_key = pseudonym key'
FROM machine_learning_curated AS m
CROSS JOIN run_parameters AS p
WHERE m.customer_key = p.pseudonym_key
