export default function ApprovalsPage() {
  return <div>ApprovalsPage</div>;
}
