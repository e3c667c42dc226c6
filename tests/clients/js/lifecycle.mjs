// A short lifecycle through the AWS SDK for JavaScript v3 against `asl serve`, to catch
// protocol details the Python stack forgives (its own JSON parsing, date handling,
// error mapping). Run by tests/clients/test_js_sdk.py with ASL_ENDPOINT set; exits 1 with
// a message on the first thing that is not as AWS answers it.
import {
  SFNClient,
  CreateStateMachineCommand,
  DescribeStateMachineCommand,
  StartExecutionCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  StartSyncExecutionCommand,
  StopExecutionCommand,
  DeleteStateMachineCommand,
  StateMachineDoesNotExist,
  ExecutionAlreadyExists,
} from "@aws-sdk/client-sfn";

const endpoint = process.env.ASL_ENDPOINT;
const client = new SFNClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  disableHostPrefix: true,
  maxAttempts: 1,
});
const role = "arn:aws:iam::123456789012:role/JsSdk";
const suffix = Date.now().toString(36);

function check(cond, what) {
  if (!cond) {
    console.error(`js sdk: ${what}`);
    process.exit(1);
  }
}

const definition = JSON.stringify({
  StartAt: "Hello",
  States: {
    Hello: { Type: "Pass", Parameters: { "greeting.$": "States.Format('hello {}', $.who)" }, Next: "Done" },
    Done: { Type: "Succeed" },
  },
});
const created = await client.send(new CreateStateMachineCommand({ name: `js-${suffix}`, definition, roleArn: role }));
check(created.stateMachineArn.endsWith(`:stateMachine:js-${suffix}`), `CreateStateMachine ARN ${created.stateMachineArn}`);
check(created.creationDate instanceof Date, "creationDate is a Date");
const described = await client.send(new DescribeStateMachineCommand({ stateMachineArn: created.stateMachineArn }));
check(described.definition === definition && described.type === "STANDARD", "DescribeStateMachine");

const started = await client.send(
  new StartExecutionCommand({ stateMachineArn: created.stateMachineArn, name: "first", input: JSON.stringify({ who: "js" }) }),
);
let execution;
for (let i = 0; i < 600; i++) {
  execution = await client.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
  if (execution.status !== "RUNNING") break;
  await new Promise((r) => setTimeout(r, 50));
}
check(execution.status === "SUCCEEDED", `status ${execution.status}`);
check(JSON.parse(execution.output).greeting === "hello js", `output ${execution.output}`);
check(execution.stopDate instanceof Date && execution.stopDate >= execution.startDate, "dates");

const history = await client.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn, reverseOrder: true }));
check(history.events[0].type === "ExecutionSucceeded", `last event ${history.events[0].type}`);
check(history.events.at(-1).type === "ExecutionStarted" && history.events.at(-1).id === 1, "first event");

try {
  await client.send(
    new StartExecutionCommand({ stateMachineArn: created.stateMachineArn, name: "first", input: JSON.stringify({ who: "again" }) }),
  );
  check(false, "a second start with another input must fail");
} catch (e) {
  check(e instanceof ExecutionAlreadyExists, `ExecutionAlreadyExists, got ${e.name}: ${e.message}`);
  check(e.$metadata.httpStatusCode === 400, "HTTP 400");
}

const listed = await client.send(new ListExecutionsCommand({ stateMachineArn: created.stateMachineArn, statusFilter: "SUCCEEDED" }));
check(listed.executions.length === 1 && listed.executions[0].name === "first", "ListExecutions");

const napper = await client.send(
  new CreateStateMachineCommand({
    name: `js-nap-${suffix}`,
    definition: JSON.stringify({ StartAt: "Nap", States: { Nap: { Type: "Wait", Seconds: 3600, End: true } } }),
    roleArn: role,
  }),
);
const napping = await client.send(new StartExecutionCommand({ stateMachineArn: napper.stateMachineArn }));
const stopped = await client.send(new StopExecutionCommand({ executionArn: napping.executionArn, error: "Js", cause: "done" }));
check(stopped.stopDate instanceof Date, "StopExecution stopDate");
const aborted = await client.send(new DescribeExecutionCommand({ executionArn: napping.executionArn }));
check(aborted.status === "ABORTED", `aborted status ${aborted.status}`);

const express = await client.send(new CreateStateMachineCommand({ name: `js-x-${suffix}`, definition, roleArn: role, type: "EXPRESS" }));
const sync = await client.send(new StartSyncExecutionCommand({ stateMachineArn: express.stateMachineArn, input: JSON.stringify({ who: "sync" }) }));
check(sync.status === "SUCCEEDED" && JSON.parse(sync.output).greeting === "hello sync", `sync ${sync.status} ${sync.output}`);

await client.send(new DeleteStateMachineCommand({ stateMachineArn: created.stateMachineArn }));
try {
  await client.send(new DescribeStateMachineCommand({ stateMachineArn: created.stateMachineArn }));
  check(false, "a deleted machine must not be described");
} catch (e) {
  check(e instanceof StateMachineDoesNotExist, `StateMachineDoesNotExist, got ${e.name}`);
}
console.log("js sdk: lifecycle ok");
