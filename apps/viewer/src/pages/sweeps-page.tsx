import { useQuery } from "@tanstack/react-query";
import { api } from "../api-client.js";
import { Link, paths } from "../router.js";

/** Every sweep, newest first, with how many of its cells have run. */
export function SweepsPage() {
  const sweeps = useQuery({ queryKey: ["sweeps"], queryFn: ({ signal }) => api.sweeps(signal) });
  return (
    <main>
      <h1>Sweeps</h1>
      {sweeps.error && <p className="error">{sweeps.error.message}</p>}
      {sweeps.data && sweeps.data.sweeps.length === 0 && (
        <p className="muted">No sweeps yet: start one with `aflab sweep`.</p>
      )}
      {sweeps.data && sweeps.data.sweeps.length > 0 && (
        <table className="runs-table" aria-label="Sweeps">
          <thead>
            <tr>
              <th scope="col">sweep</th>
              <th scope="col">cells</th>
              <th scope="col">started</th>
              <th scope="col">complete</th>
              <th scope="col">created</th>
            </tr>
          </thead>
          <tbody>
            {sweeps.data.sweeps.map((sweep) => (
              <tr key={sweep.id} data-sweep-id={sweep.id}>
                <td>
                  <Link href={paths.sweep(sweep.id)}>{sweep.name ?? sweep.id}</Link>
                  {sweep.name && <div className="muted">{sweep.id}</div>}
                </td>
                <td>{sweep.cells}</td>
                <td>{sweep.started}</td>
                <td>{sweep.complete}</td>
                <td>{new Date(sweep.createdAt).toLocaleString("en-GB")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
