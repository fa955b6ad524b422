-- The floor: the same rules as one hand-written DuckDB SQL script, no lakehouse around it.
-- Reads the landing JSON with read_json (malformed lines skipped silently: no quarantine),
-- writes each table as Parquet. Variables: landing, out, policy, key.
CREATE TEMP TABLE customer_landing AS
SELECT * FROM read_json(getvariable('landing') || '/customer/landing/*.json', format = 'newline_delimited',
    ignore_errors = true, columns = {customerName: 'VARCHAR', email: 'VARCHAR', phone: 'VARCHAR',
    birthDay: 'VARCHAR', serialNumber: 'VARCHAR', registrationDate: 'BIGINT', lastUpdateDate: 'BIGINT',
    shareWithResearchAsOfDate: 'BIGINT', shareWithPublicAsOfDate: 'BIGINT', shareWithFriendsAsOfDate: 'BIGINT'})
WHERE email IS NOT NULL AND serialNumber IS NOT NULL AND lastUpdateDate IS NOT NULL;

CREATE TEMP TABLE customer_trusted AS
SELECT * FROM customer_landing
QUALIFY row_number() OVER (PARTITION BY email ORDER BY lastUpdateDate DESC,
                           shareWithResearchAsOfDate DESC NULLS FIRST) = 1
    AND shareWithResearchAsOfDate IS NOT NULL;

CREATE TEMP TABLE accelerometer_trusted AS
SELECT DISTINCT a.user, a.timestamp, a.x, a.y, a.z
FROM read_json(getvariable('landing') || '/accelerometer/landing/*.json', format = 'newline_delimited',
    ignore_errors = true, columns = {user: 'VARCHAR', timestamp: 'BIGINT', x: 'DOUBLE', y: 'DOUBLE', z: 'DOUBLE'}) a
JOIN customer_trusted c ON a.user = c.email
WHERE getvariable('policy') = 'any-time' OR a.timestamp >= c.shareWithResearchAsOfDate;

CREATE TEMP TABLE customer_curated AS
SELECT * FROM customer_trusted c WHERE c.email IN (SELECT user FROM accelerometer_trusted);

CREATE TEMP TABLE step_trainer_trusted AS
SELECT DISTINCT s.sensorReadingTime, s.serialNumber, s.distanceFromObject
FROM read_json(getvariable('landing') || '/step_trainer/landing/*.json', format = 'newline_delimited',
    ignore_errors = true, columns = {sensorReadingTime: 'BIGINT', serialNumber: 'VARCHAR', distanceFromObject: 'BIGINT'}) s
JOIN (SELECT serialNumber FROM (SELECT * FROM customer_landing
        QUALIFY row_number() OVER (PARTITION BY email ORDER BY lastUpdateDate DESC) = 1)
      GROUP BY serialNumber HAVING count(*) = 1) o USING (serialNumber)
JOIN customer_curated c USING (serialNumber)
WHERE getvariable('policy') = 'any-time' OR s.sensorReadingTime >= c.shareWithResearchAsOfDate;

COPY customer_trusted TO (getvariable('out') || '/customer_trusted.parquet') (FORMAT parquet);
COPY accelerometer_trusted TO (getvariable('out') || '/accelerometer_trusted.parquet') (FORMAT parquet);
COPY customer_curated TO (getvariable('out') || '/customer_curated.parquet') (FORMAT parquet);
COPY step_trainer_trusted TO (getvariable('out') || '/step_trainer_trusted.parquet') (FORMAT parquet);
COPY (
    SELECT sha256(getvariable('key') || c.email) AS customer_key, s.sensorReadingTime, s.distanceFromObject, a.x, a.y, a.z
    FROM step_trainer_trusted s
    JOIN customer_curated c USING (serialNumber)
    JOIN accelerometer_trusted a ON a.user = c.email AND a.timestamp = s.sensorReadingTime
) TO (getvariable('out') || '/machine_learning_curated.parquet') (FORMAT parquet);
